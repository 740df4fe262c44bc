"""Views of a Report: each renderer turns the one result model into one output format."""
