"""Text in photos (issue 15): a free first pass from the class probabilities, a detector pass,
then recognition where it finds text."""
