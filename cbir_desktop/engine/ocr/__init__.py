"""Text in photos (issue 15): a cheap detector pass, then recognition where it finds text."""
