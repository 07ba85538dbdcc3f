"""floorview: a keyboard-driven terminal console for contact-center supervisors."""

__version__ = "0.1.0"
