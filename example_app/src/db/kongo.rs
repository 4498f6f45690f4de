//! Seed 003's tables: the truck each goods is on, and the latest sensor readings.

use std::collections::HashMap;

use rusqlite::{params, OptionalExtension};

use super::{failed, save_offset, Database, Result};
use crate::kongo::SensorEvent;

impl Database {
    /// The truck each of `goods` is on (`None`: not on a truck, or never seen).
    pub fn trucks_of<'a>(
        &self,
        goods: impl IntoIterator<Item = &'a str>,
    ) -> Result<HashMap<String, Option<String>>> {
        let connection = self.lock();
        let mut query = connection
            .prepare_cached("SELECT truck_id FROM goods_trucks WHERE goods_id = ?1")
            .map_err(failed("reading goods"))?;
        let mut trucks = HashMap::new();
        for id in goods {
            let truck: Option<Option<String>> = query
                .query_row(params![id], |row| row.get(0))
                .optional()
                .map_err(failed("reading goods"))?;
            trucks.insert(id.to_owned(), truck.flatten());
        }
        Ok(trucks)
    }

    /// Saves where goods are and the partition's processed offset in one transaction.
    pub fn move_goods(
        &self,
        topic: &str,
        partition: i32,
        next_offset: i64,
        trucks: &HashMap<String, Option<String>>,
    ) -> Result<()> {
        let mut connection = self.lock();
        let tx = connection.transaction().map_err(failed("moving goods"))?;
        for (goods, truck) in trucks {
            tx.execute(
                "INSERT INTO goods_trucks (goods_id, truck_id) VALUES (?1, ?2)
                 ON CONFLICT (goods_id) DO UPDATE SET truck_id = excluded.truck_id",
                params![goods, truck],
            )
            .map_err(failed("saving goods"))?;
        }
        save_offset(&tx, topic, partition, next_offset)?;
        tx.commit().map_err(failed("moving goods"))
    }

    /// Records readings; a location's metric keeps its latest reading by time.
    pub fn record_readings(&self, readings: &[&SensorEvent]) -> Result<()> {
        let mut connection = self.lock();
        let tx = connection
            .transaction()
            .map_err(failed("recording readings"))?;
        for reading in readings {
            tx.execute(
                "INSERT INTO sensor_readings (doc, metric, value, time) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (doc, metric) DO UPDATE SET value = excluded.value, time = excluded.time
                 WHERE excluded.time >= sensor_readings.time",
                params![reading.doc, reading.metric, reading.value, reading.time],
            )
            .map_err(failed("recording a reading"))?;
        }
        tx.commit().map_err(failed("recording readings"))
    }

    /// The latest reading of `metric` at `doc`, with its time.
    pub fn latest_reading(&self, doc: &str, metric: &str) -> Result<Option<(f64, i64)>> {
        self.lock()
            .query_row(
                "SELECT value, time FROM sensor_readings WHERE doc = ?1 AND metric = ?2",
                params![doc, metric],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
            .map_err(failed("reading sensor readings"))
    }
}
