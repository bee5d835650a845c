"""The core: configuration, errors, timetables, random channels, choice, progress."""
