"""The shared core of the Command & Control service: settings, payload models, topic and key names.

Every other package may import the core modules here; the core imports none of them.
The entry points (`cad.cli`, `cad.service`, `cad.demo`) sit on top and compose the packages.
"""
