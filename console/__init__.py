"""vgconsole: place, watch and control outbound calls through Voice Gateway REST APIs."""

__version__ = "0.1.0"
