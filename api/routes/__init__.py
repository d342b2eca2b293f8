"""HTTP routes: parse, call the application, shape the reply. No rules here."""
