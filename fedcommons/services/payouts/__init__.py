"""Payouts: cooperatives, the pools they sustain, their published distributions and
checking a distribution someone else published. The arithmetic is in `fedcommons.payout`."""
