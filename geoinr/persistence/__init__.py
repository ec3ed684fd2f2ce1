"""The file-format leaf: safetensors tensors with a JSON header, written atomically. Never pickle.

Used by the training loop (checkpoints) and by the model (:mod:`geoinr.model.state`,
``INRModel.save`` / ``geoinr.load``). Knows nothing of models: tensors and a
string-valued header in, tensors and header out, and the tools to check a
header read from a file (:func:`parse_json`, the checkers, :func:`reading`),
which refuse a damaged or hostile file with one :class:`DamagedFileError`
naming the file and the field.
"""
from .format import (
    BadField,
    DamagedFileError,
    array,
    check_writable,
    checksum,
    integer,
    mapping,
    number,
    parse_json,
    plain,
    read_header,
    read_safetensors,
    reading,
    text,
    write_safetensors_atomic,
)

__all__ = [
    "BadField",
    "DamagedFileError",
    "array",
    "check_writable",
    "checksum",
    "integer",
    "mapping",
    "number",
    "parse_json",
    "plain",
    "read_header",
    "read_safetensors",
    "reading",
    "text",
    "write_safetensors_atomic",
]
