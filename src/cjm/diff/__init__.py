"""Two versions of a map, or of an observed journey, compared: what changed, for people and CI."""
