"""The mock server's own tests (the contract suite lives in contract_tests/)."""
