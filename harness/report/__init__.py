"""Reports: leaderboard tables now; plots, HTML and the regression gate later."""
