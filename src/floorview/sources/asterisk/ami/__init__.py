"""Asterisk's Manager Interface (AMI) as a source: live agent states and waiting callers.

protocol.py frames messages, client.py is a small asyncio client, mapper.py
turns a QueueStatus snapshot and app_queue's events into feed changes (pure),
source.py runs it all in the hub's thread, credentials.py finds the secret.
"""

from floorview.sources.asterisk.ami.source import AmiSource

__all__ = ["AmiSource"]
