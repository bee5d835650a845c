"""The simulation: the world of a run, its agents and behaviours, the accounts, the recorder, the model."""
