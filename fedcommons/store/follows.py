"""SQL for follow relationships (who receives whose activities)."""

from .database import Database


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


def remove_follows_of(db: Database, follower: str) -> int:
    """Forget everyone `follower` follows (their account was deleted); how many follows."""
    return db.conn.execute("DELETE FROM follows WHERE follower = ?", (follower,)).rowcount


def follow_by_activity(db: Database, activity_id: str) -> tuple[str, str, str] | None:
    """(follower, followee, state) of the Follow with this activity id."""
    return db.conn.execute(
        "SELECT follower, followee, state FROM follows WHERE activity_id = ?", (activity_id,)
    ).fetchone()


def followers(db: Database, followee: str, limit: int | None = None, offset: int = 0) -> list[str]:
    """Accepted followers of an actor, oldest first."""
    return _accepted(db, "follower", "followee", followee, limit, offset)


def following(db: Database, follower: str, limit: int | None = None, offset: int = 0) -> list[str]:
    """Actors an actor follows (accepted), oldest first."""
    return _accepted(db, "followee", "follower", follower, limit, offset)


def _accepted(db: Database, wanted: str, known: str, value: str, limit: int | None, offset: int) -> list[str]:
    # `wanted` and `known` are the two fixed column names above, never user input.
    sql = (f"SELECT {wanted} FROM follows WHERE {known} = ? AND state = 'accepted' "
           f"ORDER BY created_at, {wanted}")
    args: list = [value]
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


def pending(db: Database, followee: str) -> list[tuple[str, str]]:
    """(follower, Follow activity id) of Follows waiting for an answer, oldest first."""
    return [
        (r[0], r[1])
        for r in db.conn.execute(
            "SELECT follower, activity_id FROM follows WHERE followee = ? AND state = 'pending' "
            "ORDER BY created_at, follower",
            (followee,),
        )
    ]


def all_followers(db: Database) -> list[str]:
    """Everyone who follows anyone here (accepted), once each."""
    return [r[0] for r in db.conn.execute(
        "SELECT DISTINCT follower FROM follows WHERE state = 'accepted' ORDER BY follower")]

def followed_remote_pools(db: Database, *, asked: bool = False) -> list[str]:
    """Remote pools that at least one local actor follows (accepted; with `asked`, also those
    whose Follow waits for an answer), oldest follow first."""
    states = ("accepted", "pending" if asked else "accepted")
    # From the local actors (CROSS JOIN fixes the order) to what each follows: the inbox asks
    # this of every delivery, and the follows of remote actors (a popular pool's followers)
    # must not be scanned for it.
    return [r[0] for r in db.conn.execute(
        "SELECT f.followee FROM actors follower CROSS JOIN follows f "
        "JOIN actors pool ON pool.id = f.followee AND pool.local = 0 AND pool.kind = 'pool' "
        "WHERE f.follower = follower.id AND follower.local = 1 AND f.state IN (?, ?) GROUP BY f.followee "
        "ORDER BY min(f.created_at), f.followee", states
    )]


def followed_here(db: Database, followee: str) -> bool:
    """Whether a local actor follows `followee` (accepted)."""
    return db.conn.execute(
        "SELECT 1 FROM follows f JOIN actors a ON a.id = f.follower AND a.local = 1 "
        "WHERE f.followee = ? AND f.state = 'accepted' LIMIT 1", (followee,)
    ).fetchone() is not None
