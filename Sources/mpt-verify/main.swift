import MPTCLI

VerifyCommand.main()
