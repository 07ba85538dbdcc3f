"""Asterisk (app_queue) as a floorview source: its queue_log and its Manager Interface."""
