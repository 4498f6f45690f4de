//! The page at `/` in a real browser (headless Chromium through chromedriver):
//! pick a movie and a rating, click Submit, and the movie's new average appears
//! in the table without reloading, pushed by server-sent events.

mod serving;

use std::time::Duration;

use karafka_tests::wait_until;
use karafka_tests::webdriver::ChromeDriver;
use serving::Serving;

#[test]
fn submitted_rating_appears_as_a_live_average_on_the_page() {
    let serving = Serving::start();
    let driver = ChromeDriver::start();
    let profile = tempfile::tempdir().expect("a browser profile directory");
    let browser = driver.session(profile.path());

    browser.goto(&serving.url());
    // The event stream is open before anything is rated, so what follows can
    // only reach the page live.
    assert!(
        wait_until(Duration::from_secs(20), || {
            browser.execute("return document.body.dataset.live === 'true'") == true
        }),
        "the page subscribes to /averages/stream"
    );
    assert!(
        browser.try_find("#average-780").is_none(),
        "no average before rating"
    );

    for rating in ["9", "6"] {
        let option = browser.find("#movieId option[value='780']", Duration::from_secs(5));
        browser.click(&option);
        let option = browser.find(
            &format!("#rating option[value='{rating}']"),
            Duration::from_secs(5),
        );
        browser.click(&option);
        browser.click(&browser.find("#submit", Duration::from_secs(5)));
        let status = browser.find("#status", Duration::from_secs(5));
        assert!(
            wait_until(Duration::from_secs(20), || browser
                .text(&status)
                .contains("Thank you")),
            "the rating is accepted: {}",
            browser.text(&status)
        );
    }

    let cell = |name: &str| {
        browser
            .try_find(&format!("#average-780 .{name}"))
            .map(|cell| browser.text(&cell))
            .unwrap_or_default()
    };
    let mut shown = (String::new(), String::new(), String::new());
    let live = wait_until(Duration::from_secs(30), || {
        shown = (cell("title"), cell("average"), cell("count"));
        shown.1 == "7.50" && shown.2 == "2"
    });
    assert!(
        live,
        "the average of 9 and 6 appears live: {shown:?}\n{}",
        serving.process.log()
    );
    assert_eq!(shown.0, "Spirited Away");
}
