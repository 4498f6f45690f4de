//! The example's database (SQLite): each movie's count and sum, the offsets of
//! `ratings` already counted, and the averages `rating-averages` reported;
//! for seed 003, which truck each goods is on and the latest sensor readings.
//!
//! The process opens one database ([`install`]); without one, a private
//! in-memory database is used (tests).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use rusqlite::{params, Connection, OptionalExtension};

use crate::ratings::{CountAndSum, RatingAverage};

mod kongo;

/// The file name of the database in the app's directory, unless `--database` says otherwise.
pub const DEFAULT_FILE: &str = "ratings.sqlite3";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS movie_totals (
    movie_id INTEGER PRIMARY KEY,
    count INTEGER NOT NULL,
    sum REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS counted_offsets (
    topic TEXT NOT NULL,
    partition INTEGER NOT NULL,
    next_offset INTEGER NOT NULL,
    PRIMARY KEY (topic, partition)
);
CREATE TABLE IF NOT EXISTS goods_trucks (
    goods_id TEXT PRIMARY KEY,
    truck_id TEXT
);
CREATE TABLE IF NOT EXISTS sensor_readings (
    doc TEXT NOT NULL,
    metric TEXT NOT NULL,
    value REAL NOT NULL,
    time INTEGER NOT NULL,
    PRIMARY KEY (doc, metric)
);
CREATE TABLE IF NOT EXISTS rating_averages (
    movie_id INTEGER PRIMARY KEY,
    average REAL NOT NULL,
    count INTEGER NOT NULL
);
";

/// A SQLite database shared by consumers and HTTP handlers (cheap to clone).
#[derive(Clone)]
pub struct Database {
    connection: Arc<Mutex<Connection>>,
}

/// A database error, with what was being done.
#[derive(Debug, thiserror::Error)]
#[error("database {context}: {source}")]
pub struct DbError {
    context: String,
    #[source]
    source: rusqlite::Error,
}

type Result<T> = std::result::Result<T, DbError>;

fn failed(context: impl Into<String>) -> impl FnOnce(rusqlite::Error) -> DbError {
    let context = context.into();
    move |source| DbError { context, source }
}

impl Database {
    /// Opens (creating if needed) the database file at `path`.
    pub fn open(path: &Path) -> Result<Database> {
        let connection =
            Connection::open(path).map_err(failed(format!("opening {}", path.display())))?;
        Database::with(connection)
    }

    /// A private database in memory.
    pub fn in_memory() -> Result<Database> {
        Database::with(Connection::open_in_memory().map_err(failed("opening in memory"))?)
    }

    fn with(connection: Connection) -> Result<Database> {
        connection
            .execute_batch(SCHEMA)
            .map_err(failed("creating the tables"))?;
        Ok(Database {
            connection: Arc::new(Mutex::new(connection)),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.connection.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The offset after the last message of a partition already counted.
    pub fn counted_offset(&self, topic: &str, partition: i32) -> Result<Option<i64>> {
        self.lock()
            .query_row(
                "SELECT next_offset FROM counted_offsets WHERE topic = ?1 AND partition = ?2",
                params![topic, partition],
                |row| row.get(0),
            )
            .optional()
            .map_err(failed("reading counted offsets"))
    }

    /// The count and sum of each of `movies` (zero for a movie without ratings).
    pub fn totals(
        &self,
        movies: impl IntoIterator<Item = i64>,
    ) -> Result<HashMap<i64, CountAndSum>> {
        let connection = self.lock();
        let mut query = connection
            .prepare_cached("SELECT count, sum FROM movie_totals WHERE movie_id = ?1")
            .map_err(failed("reading totals"))?;
        let mut totals = HashMap::new();
        for movie in movies {
            let found = query
                .query_row(params![movie], |row| {
                    Ok(CountAndSum {
                        count: row.get::<_, i64>(0)? as u64,
                        sum: row.get(1)?,
                    })
                })
                .optional()
                .map_err(failed("reading totals"))?;
            totals.insert(movie, found.unwrap_or_default());
        }
        Ok(totals)
    }

    /// Saves new totals and the partition's counted offset in one transaction.
    pub fn count(
        &self,
        topic: &str,
        partition: i32,
        next_offset: i64,
        totals: &HashMap<i64, CountAndSum>,
    ) -> Result<()> {
        let mut connection = self.lock();
        let tx = connection
            .transaction()
            .map_err(failed("counting ratings"))?;
        for (movie, total) in totals {
            tx.execute(
                "INSERT INTO movie_totals (movie_id, count, sum) VALUES (?1, ?2, ?3)
                 ON CONFLICT (movie_id) DO UPDATE SET count = excluded.count, sum = excluded.sum",
                params![movie, total.count as i64, total.sum],
            )
            .map_err(failed("saving totals"))?;
        }
        save_offset(&tx, topic, partition, next_offset)?;
        tx.commit().map_err(failed("counting ratings"))
    }

    /// Records a movie's latest average.
    pub fn save_average(&self, average: &RatingAverage) -> Result<()> {
        self.lock()
            .execute(
                "INSERT INTO rating_averages (movie_id, average, count) VALUES (?1, ?2, ?3)
                 ON CONFLICT (movie_id) DO UPDATE SET average = excluded.average, count = excluded.count",
                params![average.movie_id, average.average, average.count as i64],
            )
            .map(drop)
            .map_err(failed("saving an average"))
    }

    /// Every movie's latest average, by movie id.
    pub fn averages(&self) -> Result<Vec<RatingAverage>> {
        let connection = self.lock();
        let mut query = connection
            .prepare_cached(
                "SELECT movie_id, average, count FROM rating_averages ORDER BY movie_id",
            )
            .map_err(failed("reading averages"))?;
        let rows = query
            .query_map([], |row| {
                Ok(RatingAverage {
                    movie_id: row.get(0)?,
                    average: row.get(1)?,
                    count: row.get::<_, i64>(2)? as u64,
                })
            })
            .map_err(failed("reading averages"))?;
        rows.collect::<std::result::Result<_, _>>()
            .map_err(failed("reading averages"))
    }
}

/// Saves the offset after the last message of a partition already processed.
fn save_offset(
    tx: &rusqlite::Transaction<'_>,
    topic: &str,
    partition: i32,
    next: i64,
) -> Result<()> {
    tx.execute(
        "INSERT INTO counted_offsets (topic, partition, next_offset) VALUES (?1, ?2, ?3)
         ON CONFLICT (topic, partition) DO UPDATE SET next_offset = excluded.next_offset",
        params![topic, partition, next],
    )
    .map(drop)
    .map_err(failed("saving processed offsets"))
}

static DATABASE: OnceLock<Database> = OnceLock::new();

/// Makes `database` the process's database; fails if one is already in use.
pub fn install(database: Database) -> std::result::Result<(), &'static str> {
    DATABASE
        .set(database)
        .map_err(|_| "the database is already chosen for this process")
}

/// The process's database: the installed one, else a private in-memory one.
pub fn database() -> Result<Database> {
    if let Some(database) = DATABASE.get() {
        return Ok(database.clone());
    }
    let database = Database::in_memory()?;
    Ok(DATABASE.get_or_init(|| database).clone())
}
