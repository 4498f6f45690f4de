//! Compile-fail tests: `routes!` rejects bad input with a spanned, helpful error.

#[test]
fn routes_rejects_invalid_input_with_spanned_errors() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/fail/*.rs");
}
