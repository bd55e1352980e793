"""Services: what the CLI and the web handlers call, one package per domain (actors,
accounts, contributions, importing, log, replication, standing, payouts). They read and
write through `store` and use the pure cores (`sig`, `log`, `standing`, `payout`)."""
