"""pyx86's own BIOS: ROM entry stubs and services written in Python."""
