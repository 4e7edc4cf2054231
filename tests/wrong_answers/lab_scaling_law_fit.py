"""lab_scaling_law_fit: a plausible but wrong answer to question isoflop_exponent: it takes the
lab's data layout for granted, reshaping the runs into one row per budget (consecutive blocks of
equal size) instead of selecting each budget's runs by their value of C.

It passes the public test of isoflop_exponent (the lab's runs come sorted by budget, nine each) and
fails the hidden test with shuffled runs and uneven budgets, so the autograder takes points."""
QUESTION = "isoflop_exponent"
CODE = '''def isoflop_exponent(N, C, loss):
    """Approach 2: parabola vertices per budget, then the slope of ln N_opt on ln C."""
    budgets = np.unique(C)
    # the runs of each budget sit together, in the order of the budgets: one row per budget
    u_rows = np.log(N).reshape(budgets.size, -1)
    loss_rows = np.asarray(loss).reshape(budgets.size, -1)
    N_opt = np.empty(budgets.size)
    for i in range(budgets.size):
        c2, c1, _ = np.polyfit(u_rows[i], loss_rows[i], 2)
        N_opt[i] = np.exp(-c1 / (2 * c2))
    a, _ = np.polyfit(np.log(budgets), np.log(N_opt), 1)
    return float(a), budgets, N_opt'''
