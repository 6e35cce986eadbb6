"""Which dynamic resource is the project's own: read from the provider's pickle, never by unpickling it.

A dynamic resource's type token is whatever its program says (`Resource(..., module="eks", type_name=...)`), so
the token tells nothing. What runs at deploy time is the provider pickled (by dill) into `__provider`: the pack
reads that pickle's opcodes and accepts it only when it builds the project's `AwsAuthMappingProvider` and
references nothing but that class and the module-level functions it is built with. Unpickling would run the code
being judged.
"""

from __future__ import annotations

import base64
import binascii
import pickletools
from collections.abc import Iterator

PROVIDER_KEY = "__provider"
# components/aws_auth_mapping.py: the provider class and its default token source (pickled by reference).
OWN_MODULE = "components.aws_auth_mapping"
OWN_PROVIDER = "AwsAuthMappingProvider"
OWN_GLOBALS = frozenset({(OWN_MODULE, OWN_PROVIDER), (OWN_MODULE, "eks_bearer_token")})
# Opcodes that build a plain object of an allowed class: no REDUCE, INST or OBJ (calls), no persistent ids.
SAFE_OPCODES = frozenset(
    {
        "PROTO", "FRAME", "STOP", "MARK", "MEMOIZE", "BINGET", "LONG_BINGET", "PUT", "BINPUT", "LONG_BINPUT", "GET",
        "SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE", "SHORT_BINSTRING", "BINSTRING",
        "STACK_GLOBAL", "GLOBAL", "EMPTY_TUPLE", "TUPLE", "TUPLE1", "TUPLE2", "TUPLE3", "EMPTY_DICT", "DICT",
        "EMPTY_LIST", "LIST", "APPEND", "APPENDS", "SETITEM", "SETITEMS", "NEWOBJ", "BUILD", "NONE",
        "NEWTRUE", "NEWFALSE", "BININT", "BININT1", "BININT2", "BINFLOAT",
    }
)  # fmt: skip


def provider_problem(serialized: object) -> str | None:
    """Why `serialized` (a `__provider` value) is not the project's aws-auth provider; None when it is."""
    if not isinstance(serialized, str):
        return "its provider is not a serialized string"
    try:
        opcodes = list(_opcodes(base64.b64decode(serialized, validate=True)))
    except (binascii.Error, ValueError) as error:
        return f"its provider cannot be read as a pickle ({error})"
    unsafe = sorted({name for name, _ in opcodes if name not in SAFE_OPCODES})
    if unsafe:
        return f"its provider's pickle calls code while it loads ({', '.join(unsafe)})"
    referenced = [arg for name, arg in opcodes if name == "GLOBAL" and arg is not None]
    foreign = [f"{module}.{name}" for module, name in referenced if (module, name) not in OWN_GLOBALS]
    if foreign:
        return f"its provider's pickle references {', '.join(foreign)}, not the project's {OWN_MODULE}"
    if not referenced or referenced[0] != (OWN_MODULE, OWN_PROVIDER):
        return f"its provider's pickle does not build {OWN_MODULE}.{OWN_PROVIDER}"
    return None


def _opcodes(data: bytes) -> Iterator[tuple[str, tuple[str, str] | None]]:
    """(opcode name, (module, name) for a global) for each opcode; STACK_GLOBAL's strings followed by the memo."""
    stack: list[object] = []
    memo: dict[int, object] = {}
    for opcode, arg, _ in pickletools.genops(data):
        name = opcode.name
        if name in {"SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE"}:
            stack.append(arg)
        elif name == "MEMOIZE":
            memo[len(memo)] = stack[-1] if stack else None
        elif name in {"BINPUT", "LONG_BINPUT", "PUT"} and isinstance(arg, int):
            memo[arg] = stack[-1] if stack else None
        elif name in {"BINGET", "LONG_BINGET", "GET"} and isinstance(arg, int):
            stack.append(memo.get(arg))
        elif name == "STACK_GLOBAL":
            module, attribute = (stack[-2], stack[-1]) if len(stack) >= 2 else (None, None)
            del stack[-2:]
            yield "GLOBAL", (str(module), str(attribute))
            stack.append(None)  # the class or function itself
            continue
        elif name == "GLOBAL":
            module, _, attribute = str(arg).partition(" ")
            yield "GLOBAL", (module, attribute)
            stack.append(None)
            continue
        else:
            stack.append(None)  # only strings matter: STACK_GLOBAL reads its names from them
        yield name, None
