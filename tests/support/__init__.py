"""Test support shared by test folders: throwaway servers and database fixtures."""
