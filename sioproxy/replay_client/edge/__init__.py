"""The replay client's Twisted edge: connections to a live server, timers, the run."""
