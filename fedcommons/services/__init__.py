"""Services: what the CLI and the web handlers call. They read and write through `store`
and use the pure cores (`sig`, `log`, `standing`, `payout`)."""
