"""Every kernel x backend x dataset (kernels a method group times are timed there)."""

KIND = "kernel"


def test_kernel(run_case, case, dataset):
    run_case(case, dataset)
