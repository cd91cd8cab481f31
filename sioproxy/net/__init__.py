"""Twisted helpers shared by every program: endpoints, connection guard, socket takeover."""
