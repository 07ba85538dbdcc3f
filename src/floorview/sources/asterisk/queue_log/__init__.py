"""Asterisk's queue_log as a floorview source: lines (`events`) become feed changes (`mapper`)."""
