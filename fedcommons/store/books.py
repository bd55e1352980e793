"""SQL for the private payee table a cooperative's bookkeeper uses (never served)."""

from .database import Database



def set_payee(db: Database, actor: str, legal_name: str, bank_details: str, updated_at: str) -> None:
    """Record (or replace) the payee details of an actor."""
    db.conn.execute(
        "INSERT INTO payees (actor, legal_name, bank_details, updated_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (actor) DO UPDATE SET legal_name = excluded.legal_name, "
        "bank_details = excluded.bank_details, updated_at = excluded.updated_at",
        (actor, legal_name, bank_details, updated_at),
    )


def remove_payee(db: Database, actor: str) -> bool:
    """Forget an actor's payee details; whether there were any."""
    return db.conn.execute("DELETE FROM payees WHERE actor = ?", (actor,)).rowcount > 0


def payees(db: Database) -> dict[str, tuple[str, str]]:
    """Actor URL -> (legal name, bank details) of every payee recorded here."""
    return {r[0]: (r[1], r[2]) for r in db.conn.execute(
        "SELECT actor, legal_name, bank_details FROM payees ORDER BY actor")}
