"""Readout: schedule contractual root-cause-analysis readouts that comply, or say exactly why not."""

__version__ = "0.1.0"
