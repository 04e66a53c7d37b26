# Mirror of examples/bank.rs: the lost update, without and with a Lock.
import asyncio
from rondo_vclock import run, say

class Account:
    def __init__(self):
        self.balance = 0

async def deposit(account, who, lock):
    for _ in range(3):
        if lock is not None:
            async with lock:
                balance = account.balance
                await asyncio.sleep(0)
                account.balance = balance + 10
        else:
            balance = account.balance
            await asyncio.sleep(0)
            account.balance = balance + 10
    say(f"{who} done")

async def main():
    account = Account()
    await asyncio.gather(deposit(account, "A", None), deposit(account, "B", None))
    say(f"without a lock: {account.balance}")
    account = Account()
    lock = asyncio.Lock()
    await asyncio.gather(deposit(account, "A", lock), deposit(account, "B", lock))
    say(f"with a lock: {account.balance}")

run(main())
