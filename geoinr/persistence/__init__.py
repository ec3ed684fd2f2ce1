"""The file-format leaf: safetensors tensors with a JSON header, written atomically. Never pickle.

Used by the training loop (checkpoints) and by the model (:mod:`geoinr.model.state`,
``INRModel.save`` / ``geoinr.load``). Knows nothing of models: tensors and a
string-valued header in, tensors and header out.
"""
from .format import check_writable, read_safetensors, write_safetensors_atomic

__all__ = ["check_writable", "read_safetensors", "write_safetensors_atomic"]
