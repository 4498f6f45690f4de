//! The page at `/`: the rating form and the averages, updated live.

use axum::response::Html;

use crate::ratings::MOVIES;

const PAGE: &str = include_str!("index.html");

/// `GET /`: the page, with the movies of the form filled in.
pub(super) async fn index() -> Html<String> {
    let options: String = MOVIES
        .iter()
        .map(|(id, title)| format!("<option value=\"{id}\">{title}</option>"))
        .collect();
    Html(PAGE.replace("{{movie_options}}", &options))
}
