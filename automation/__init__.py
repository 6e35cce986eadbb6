"""Run the program as users do: offline `plan`, and the Pulumi CLI's preview/up/destroy/refresh."""
