"""The seed's method comparisons: every way to get W-tilde, and the curvature matrix F."""

KIND = "method"


def test_method(run_case, case, dataset):
    run_case(case, dataset)
