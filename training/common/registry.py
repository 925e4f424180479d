"""A name -> class registry (threestudio's): parts are chosen in configs by `<part>_type` strings."""
from typing import Callable, Dict, Type

_REGISTRY: Dict[str, Type] = {}


def register(name: str) -> Callable[[Type], Type]:
    def decorator(cls: Type) -> Type:
        if name in _REGISTRY:
            raise ValueError(f"{name!r} is already registered (by {_REGISTRY[name].__qualname__})")
        _REGISTRY[name] = cls
        return cls
    return decorator


def find(name: str) -> Type:
    if name not in _REGISTRY:
        raise ValueError(f"unknown type {name!r}; registered: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name]
