"""What every stage of the request path shares: the route target values, the error tree and
the background-loop helper. Nothing here imports a stage."""
