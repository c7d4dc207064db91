"""The full log-likelihood (the MCMC step) per backend and W-tilde form."""

KIND = "likelihood"


def test_likelihood(run_case, case, dataset):
    run_case(case, dataset)
