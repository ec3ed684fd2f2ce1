"""Older home of save/load and the file format, kept so that ``geoinr.io.*`` keeps working.

The format leaf is :mod:`geoinr.persistence`; the model's state is :mod:`geoinr.model.state`.
"""
from .model import load
from .model.state import FORMAT, FORMAT_VERSION, save
from .persistence import read_safetensors, write_safetensors_atomic

__all__ = ["FORMAT", "FORMAT_VERSION", "load", "read_safetensors", "save", "write_safetensors_atomic"]
