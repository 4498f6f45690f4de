//! Compile-fail tests: `routes!` and `#[derive(Responder)]` reject bad input
//! with a spanned, helpful error.

#[test]
fn macros_reject_invalid_input_with_spanned_errors() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/fail/*.rs");
}
