"""Thongthin (ท้องถิ่น): the digital platform of Thai local administrations."""

__version__ = "0.1.0"
