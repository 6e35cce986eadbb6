"""The base of the config contract's enums."""

import enum


class ValueEnum(enum.StrEnum):
    """An enum shown as its value in messages (`'auto'`, not `<EksMode.AUTO: 'auto'>`)."""

    def __repr__(self) -> str:
        return repr(self.value)
