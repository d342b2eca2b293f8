"""The programme registry's domain: commands, events, aggregates, rules and the application service.

Imports no web framework, no SQL driver and no settings; the clock is passed in.
"""
