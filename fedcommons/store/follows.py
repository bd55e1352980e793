"""SQL for follow relationships (who receives whose activities)."""

from sqlite_utils import Database


def upsert_follow(db: Database, follower: str, followee: str, activity_id: str, state: str,
                  created_at: str) -> None:
    """Record a Follow (pending or accepted); a repeated Follow replaces the old one."""
    db.conn.execute(
        "INSERT INTO follows (follower, followee, activity_id, state, created_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (follower, followee) DO UPDATE SET activity_id = excluded.activity_id, "
        "state = excluded.state",
        (follower, followee, activity_id, state, created_at),
    )


def accept_follow(db: Database, follower: str, followee: str) -> bool:
    """Mark a pending Follow accepted; False if there was none."""
    cur = db.conn.execute(
        "UPDATE follows SET state = 'accepted' WHERE follower = ? AND followee = ?", (follower, followee)
    )
    return cur.rowcount > 0


def remove_follow(db: Database, follower: str, followee: str) -> bool:
    """Forget a follow (Undo Follow, Reject); False if there was none."""
    cur = db.conn.execute("DELETE FROM follows WHERE follower = ? AND followee = ?", (follower, followee))
    return cur.rowcount > 0


def follow_by_activity(db: Database, activity_id: str) -> tuple[str, str, str] | None:
    """(follower, followee, state) of the Follow with this activity id."""
    return db.conn.execute(
        "SELECT follower, followee, state FROM follows WHERE activity_id = ?", (activity_id,)
    ).fetchone()


def followers(db: Database, followee: str, limit: int | None = None, offset: int = 0) -> list[str]:
    """Accepted followers of an actor, oldest first."""
    sql = "SELECT follower FROM follows WHERE followee = ? AND state = 'accepted' ORDER BY created_at, follower"
    args: list = [followee]
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        args += [limit, offset]
    return [r[0] for r in db.conn.execute(sql, args)]


def following(db: Database, follower: str, limit: int | None = None, offset: int = 0) -> list[str]:
    """Actors an actor follows (accepted), oldest first."""
    sql = "SELECT followee FROM follows WHERE follower = ? AND state = 'accepted' ORDER BY created_at, followee"
    args: list = [follower]
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        args += [limit, offset]
    return [r[0] for r in db.conn.execute(sql, args)]


def count_followers(db: Database, followee: str) -> int:
    return db.conn.execute(
        "SELECT count(*) FROM follows WHERE followee = ? AND state = 'accepted'", (followee,)
    ).fetchone()[0]


def count_following(db: Database, follower: str) -> int:
    return db.conn.execute(
        "SELECT count(*) FROM follows WHERE follower = ? AND state = 'accepted'", (follower,)
    ).fetchone()[0]
