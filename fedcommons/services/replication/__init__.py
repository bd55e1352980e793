"""Replication: mirroring other nodes' logs over HTTP, re-verifying mirrors, recording
forks, and witnessing the checkpoints of the logs this node mirrors."""
