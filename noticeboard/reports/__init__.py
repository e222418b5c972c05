"""Figures for the team and for funders: the impact report and the network's figures."""
