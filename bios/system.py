"""(in progress)"""


def install(bios) -> None:
    pass
