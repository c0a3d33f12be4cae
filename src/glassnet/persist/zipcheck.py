"""The ZIP's own bookkeeping, read and checked before :mod:`zipfile` trusts any of it.

:mod:`zipfile` parses the whole central directory before anyone can count
its entries (8 million entries cost gigabytes), and it reads each member
where the central directory says, without asking whether members overlap:
a forged file whose every member's data holds the next member (header and
data) is a valid ZIP that inflates to the square of its size with no
compression at all. :func:`check_layout` refuses both from a few kilobytes
read: the end record first (entry count and directory size bounded, no
ZIP64, nothing after it), then the central directory, then every local
header: members must tile the file from byte 0, each one's local header,
name and data ending exactly where the next one's header starts and the
last one's where the central directory starts, and each local header must
agree with its directory entry (name, method, flags, CRC and sizes).

Standard library only.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import IO

__all__ = ["LayoutError", "Member", "check_layout"]

_END = struct.Struct("<4s4H2LH")  # end of central directory record
_CENTRAL = struct.Struct("<4s6H3L5H2L")  # central directory file header
_LOCAL = struct.Struct("<4s5H3L2H")  # local file header
_END_SIG, _CENTRAL_SIG, _LOCAL_SIG = b"PK\x05\x06", b"PK\x01\x02", b"PK\x03\x04"
_ZIP64_LOCATOR_SIG = b"PK\x06\x07"
# glassnet writes names of at most 132 bytes and no extra fields or comments;
# this bounds the central directory an honest file of ``n`` entries needs.
MAX_ENTRY_BYTES = 1024


class LayoutError(ValueError):
    """The archive's structure is refused; ``member`` names the entry, if any.

    Parameters
    ----------
    reason : str
        What is wrong.
    member : str, optional
        The member concerned.
    """

    def __init__(self, reason: str, member: str | None = None) -> None:
        super().__init__(reason)
        self.member = member


@dataclass(frozen=True)
class Member:
    """One member as the checked directory and local header agree on it.

    Attributes
    ----------
    name : str
        Its name, decoded as :mod:`zipfile` does.
    header_offset : int
        Where its local header starts.
    data_offset : int
        Where its data starts.
    size : int
        Its (stored) size in bytes.
    """

    name: str
    header_offset: int
    data_offset: int
    size: int


def _read_at(f: IO[bytes], offset: int, n: int) -> bytes:
    f.seek(offset)
    data = f.read(n)
    if len(data) != n:
        raise LayoutError(f"the file ends early (at byte {offset + len(data)})")
    return data


def check_layout(f: IO[bytes], size: int, max_entries: int) -> list[Member]:
    """Check the archive's structure; return its members in directory order.

    Parameters
    ----------
    f : binary file
        The archive, seekable.
    size : int
        Its size in bytes.
    max_entries : int
        Most entries the archive may have (refused before the directory is read).

    Returns
    -------
    list of Member
        The members, which tile the file from byte 0 to the central directory.

    Raises
    ------
    LayoutError
        At the first failed check.
    """
    if size < _END.size:
        raise LayoutError("the file is too short to be a ZIP archive")
    end_at = size - _END.size
    sig, disk, cd_disk, n_here, n_total, cd_size, cd_offset, comment = _END.unpack(
        _read_at(f, end_at, _END.size)
    )
    # glassnet writes no archive comment: the end record is the file's last 22 bytes.
    if sig != _END_SIG or comment != 0:
        raise LayoutError(
            "no end-of-central-directory record at the end of the file; the file is "
            "damaged, truncated or has data appended"
        )
    zip64 = 0xFFFF in (n_here, n_total) or 0xFFFFFFFF in (cd_size, cd_offset)
    if zip64 or (end_at >= 20 and _read_at(f, end_at - 20, 4) == _ZIP64_LOCATOR_SIG):
        raise LayoutError(
            "a ZIP64 archive; glassnet files are under 2 GB with few members and never use ZIP64"
        )
    if disk != 0 or cd_disk != 0 or n_here != n_total:
        raise LayoutError("a multi-disk (split) archive")
    if n_total > max_entries:
        raise LayoutError(f"{n_total} entries, over the limit of {max_entries}")
    if cd_offset + cd_size != end_at or cd_size > n_total * MAX_ENTRY_BYTES:
        raise LayoutError(
            f"the central directory ({cd_size} bytes at byte {cd_offset}) does not fit its "
            f"{n_total} entries just before the end record at byte {end_at}"
        )
    directory = _read_at(f, cd_offset, cd_size)
    members = []
    pos = 0  # where the next member's local header must start
    at = 0  # position in the directory
    for _ in range(n_total):
        if at + _CENTRAL.size > cd_size:
            raise LayoutError("the central directory ends inside an entry")
        fields = _CENTRAL.unpack_from(directory, at)
        sig, flags, method, crc, csize, usize = fields[0], *fields[3:5], *fields[7:10]
        n_name, n_extra, n_comment, offset = fields[10], fields[11], fields[12], fields[16]
        raw = directory[at + _CENTRAL.size : at + _CENTRAL.size + n_name]
        at += _CENTRAL.size + n_name + n_extra + n_comment
        if sig != _CENTRAL_SIG or at > cd_size:
            raise LayoutError("a damaged central directory entry")
        name = raw.decode("utf-8" if flags & 0x800 else "cp437", errors="replace")
        if offset != pos:
            where = "inside the one before it: members overlap" if offset < pos else None
            raise LayoutError(
                f"its local header is at byte {offset}, {where}"
                if where
                else f"{offset - pos} unaccounted bytes before member {name!r}",
                name,
            )
        if offset + _LOCAL.size + n_name > cd_offset:
            raise LayoutError("its local header overlaps the central directory", name)
        local = _LOCAL.unpack(_read_at(f, offset, _LOCAL.size))
        lsig, lflags, lmethod, lcrc, lcsize, lusize, ln_name, ln_extra = (
            local[0], *local[2:4], *local[6:11],
        )  # fmt: skip
        same = (lflags, lmethod, lcrc, lcsize, lusize, ln_name) == (
            flags, method, crc, csize, usize, n_name,
        )  # fmt: skip
        if lsig != _LOCAL_SIG or not same or _read_at(f, offset + _LOCAL.size, n_name) != raw:
            raise LayoutError(
                "its local header (name, method, flags, CRC or sizes) disagrees with the "
                "central directory",
                name,
            )
        if flags & 0x8:
            raise LayoutError("a data descriptor after the data (sizes not in the header)", name)
        data_offset = offset + _LOCAL.size + n_name + ln_extra
        pos = data_offset + csize
        if pos > cd_offset:
            raise LayoutError("its data runs into the central directory: members overlap", name)
        members.append(Member(name, offset, data_offset, csize))
    if at != cd_size:
        raise LayoutError(f"{cd_size - at} unaccounted bytes at the end of the central directory")
    if pos != cd_offset:
        raise LayoutError(f"{cd_offset - pos} unaccounted bytes before the central directory")
    return members
