"""Major hazards under 16号令 and the enterprise's own part (双重预防) (issue 16)."""
