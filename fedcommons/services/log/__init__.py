"""This node's log: appending (with the after-append hooks: projections, the delivery
queue), re-verifying it, and the worker processes that check proofs beside it. The pure
rules live in `fedcommons.log`."""
