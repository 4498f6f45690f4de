//! `routes`: the routing table.

use super::style::table;
use crate::routing::{Routes, Topic};

/// An option column of the table: its header and how a topic's cell reads.
type Column = (&'static str, fn(&Topic) -> String);

/// One row per routed topic: group, topic, consumer, deserializer, then the
/// route options that have a column (backend, dead letter queue, virtual
/// partitions, filters, throttle, delay, expiry), leaving out an option no route sets (all `-`).
pub(super) fn render(routes: &Routes) -> String {
    let topics = || routes.groups().iter().flat_map(|group| group.topics.iter());
    let columns: Vec<&Column> = Topic::COLUMNS
        .iter()
        .filter(|(_, cell)| topics().any(|topic| cell(topic) != "-"))
        .collect();
    let rows: Vec<Vec<String>> = routes
        .groups()
        .iter()
        .flat_map(|group| {
            let columns = &columns;
            group.topics.iter().map(move |topic| {
                let name = if topic.active {
                    topic.name.to_string()
                } else {
                    format!("{} (inactive)", topic.name)
                };
                let fixed = [
                    group.name.to_string(),
                    name,
                    topic.consumer_name.to_owned(),
                    topic.deserializer_name.clone(),
                ];
                let options = columns.iter().map(|(_, cell)| cell(topic));
                fixed.into_iter().chain(options).collect()
            })
        })
        .collect();
    let headers: Vec<&str> = ["GROUP", "TOPIC", "CONSUMER", "DESERIALIZER"]
        .into_iter()
        .chain(columns.iter().map(|(header, _)| *header))
        .collect();
    table(&headers, &rows)
}

#[cfg(test)]
mod tests {
    use super::render;
    use crate::routing::definition::{ConsumerGroupDef, RouteOptions, TopicDef};
    use crate::routing::{Routes, VirtualPartitioner, VirtualPartitions};
    use crate::{Config, Consumer, Context, Messages};

    #[derive(Default)]
    struct Noop;

    impl Consumer for Noop {
        type Payload = serde_json::Value;

        async fn consume(
            &mut self,
            _ctx: &mut Context,
            _messages: Messages<serde_json::Value>,
        ) -> crate::Result<()> {
            Ok(())
        }
    }

    fn routes(options: RouteOptions) -> Routes {
        use crate::deserializers::Json;
        let topics = vec![
            TopicDef::new::<Noop, _>("orders", Json, options),
            TopicDef::new::<Noop, _>("audit", Json, RouteOptions::default()),
        ];
        let group = ConsumerGroupDef::new("shop", RouteOptions::default(), topics);
        Routes::from_definitions(vec![group], &Config::default()).unwrap()
    }

    #[test]
    fn virtual_partitions_get_a_column_only_when_a_route_has_them() {
        let plain = render(&routes(RouteOptions::default()));
        assert!(!plain.contains("VIRTUAL PARTITIONS"), "{plain}");
        let options = RouteOptions {
            virtual_partitions: Some(VirtualPartitions {
                partitioner: VirtualPartitioner::Header("tenant"),
                max_partitions: 4,
            }),
            ..RouteOptions::default()
        };
        let split = render(&routes(options));
        assert!(split.contains("VIRTUAL PARTITIONS"), "{split}");
        assert!(split.contains("header(\"tenant\") x4"), "{split}");
    }
}
